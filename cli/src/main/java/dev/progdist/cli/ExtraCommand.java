package dev.progdist.cli;

/**
 * A picocli {@code @Command} that a module the CLI does not depend on adds to {@code ./progdist}
 * (listed in its {@code META-INF/services/dev.progdist.cli.ExtraCommand}). The benchmarks are one:
 * they depend on every module, so the CLI cannot name them.
 */
public interface ExtraCommand {
}
