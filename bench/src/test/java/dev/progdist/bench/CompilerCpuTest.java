package dev.progdist.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

class CompilerCpuTest {

    @Test
    void readsUserAndSystemTicksAfterAThreadNameWithSpacesAndParentheses() {
        String stat = "4242 (C2 CompilerThre) S 1 4200 4200 0 -1 4194368 10 0 0 0 812 12 0 0 20 0 1 0 100 0 0";
        assertThat(CompilerCpu.utimePlusStime(stat)).isEqualTo(824);
        String odd = "7 (a) b (c) d) R 1 7 7 0 -1 0 0 0 0 0 5 6 0 0 20 0 1 0 1 0 0";
        assertThat(CompilerCpu.utimePlusStime(odd)).isEqualTo(11);
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void thisJvmHasCompilerThreadsThatHaveWorked() {
        assertThat(CompilerCpu.of(ProcessHandle.current().pid())).hasValueSatisfying(d -> assertThat(d).isPositive());
    }

    @Test
    void anUnknownProcessHasNoFigure() {
        assertThat(CompilerCpu.of(Long.MAX_VALUE)).isEmpty();
    }
}
