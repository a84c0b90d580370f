package io.llt.cli;

/** The process exit codes of {@code llt}. */
public final class ExitCodes {
  /** Success. */
  public static final int OK = 0;
  /** A bug in llt (an unexpected exception). */
  public static final int BUG = 1;
  /** Bad input: config, data or arguments. */
  public static final int BAD_INPUT = 2;
  /** Training diverged (NaN or infinite loss). */
  public static final int DIVERGED = 3;
  /** A memory budget was exceeded. */
  public static final int MEMORY_BUDGET = 4;

  private ExitCodes() {}
}
