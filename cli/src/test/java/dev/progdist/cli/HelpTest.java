package dev.progdist.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import picocli.CommandLine;

/**
 * Every command and subcommand of {@code ./progdist} answers {@code --help} with its usage and exit
 * status 0, whatever options it requires otherwise (it once answered 2 with "Missing required
 * options" where a command's own {@code --version} option displaced the standard help options).
 */
class HelpTest {

    @TestFactory
    List<DynamicTest> everyCommandPrintsItsUsageForHelp() {
        List<String[]> paths = new ArrayList<>();
        collect(ProgdistCli.commandLine(), new ArrayList<>(), paths);
        // the tree really was walked: the two commands of the bug report are in it
        assertThat(paths).extracting(p -> String.join(" ", p))
                .contains("program seal", "gateway fetch", "user add", "pki init");
        List<DynamicTest> tests = new ArrayList<>();
        for (String[] path : paths) {
            tests.add(DynamicTest.dynamicTest(String.join(" ", path) + " --help", () -> {
                CommandLine cl = ProgdistCli.commandLine();
                StringWriter out = new StringWriter();
                StringWriter err = new StringWriter();
                cl.setOut(new PrintWriter(out));
                cl.setErr(new PrintWriter(err));
                String[] args = new String[path.length + 1];
                System.arraycopy(path, 0, args, 0, path.length);
                args[path.length] = "--help";
                int status = cl.execute(args);
                assertThat(err.toString()).as("stderr").isEmpty();
                assertThat(status).as("exit status").isZero();
                String name = path.length == 0 ? "progdist" : path[path.length - 1];
                assertThat(out.toString()).startsWith("Usage: ").contains(name);
            }));
        }
        return tests;
    }

    /** Every command below {@code cl}, by the names that reach it (aliases and {@code help} left out). */
    private static void collect(CommandLine cl, List<String> path, List<String[]> into) {
        into.add(path.toArray(new String[0]));
        for (var entry : cl.getSubcommands().entrySet()) {
            CommandLine sub = entry.getValue();
            if (!entry.getKey().equals(sub.getCommandName()) || sub.getCommandSpec().helpCommand()) {
                continue;
            }
            List<String> next = new ArrayList<>(path);
            next.add(entry.getKey());
            collect(sub, next, into);
        }
    }
}
