package dev.progdist.trp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The explicit TRP setting for a simulated fault: off by default, named faults only, bounded delay. */
class TrpFaultsTest {

    @Test
    void emptyMeansNoFault() {
        TrpFaults f = TrpConfiguration.faults("", "PT2S");
        assertThat(f.fault()).isNull();
        for (TrpFault each : TrpFault.values()) {
            assertThat(f.has(each)).isFalse();
        }
    }

    @Test
    void aNamedFaultAndItsDelay() {
        assertThat(TrpConfiguration.faults("slow", "PT0.5S")).isEqualTo(new TrpFaults(TrpFault.SLOW, Duration.ofMillis(500)));
        assertThat(TrpConfiguration.faults(" Bad-Receipt ", "PT2S").fault()).isEqualTo(TrpFault.BAD_RECEIPT);
    }

    @Test
    void unknownFaultsAndBadDelaysAreRefused() {
        assertThatThrownBy(() -> TrpConfiguration.faults("explode", "PT2S")).hasMessageContaining("unknown fault 'explode'")
                .hasMessageContaining("refuse-install");
        assertThatThrownBy(() -> TrpConfiguration.faults("slow", "2s")).hasMessageContaining("ISO-8601");
        assertThatThrownBy(() -> TrpConfiguration.faults("slow", "PT1H")).hasMessageContaining("0 to 10 minutes");
    }
}
