package io.llt.cli.mixin;

import picocli.CommandLine.Option;

/** Options of every command that loads data and may fail: {@code --offline} and {@code -v}. */
public final class DataOptions {
  /** True to never download a missing dataset. */
  @Option(names = "--offline", description = "Never download a missing dataset.")
  public boolean offline;

  /** True to print stack traces of errors (read by the error reporter through the parse result). */
  @Option(names = {"-v", "--verbose"}, description = "Show stack traces of errors.")
  public boolean verbose;
}
