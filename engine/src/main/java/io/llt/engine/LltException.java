package io.llt.engine;

/**
 * Base of every exception that llt reports to a user as a one-line message rather than a stack
 * trace. Subclasses carry the process exit code that the command line maps them to.
 */
public class LltException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int exitCode;

  /**
   * Creates an exception with a user-facing message.
   *
   * @param message one line naming the file, key or block and the fix
   * @param exitCode the process exit code (2 bad input, 3 diverged, 4 memory budget)
   */
  public LltException(String message, int exitCode) {
    super(message);
    this.exitCode = exitCode;
  }

  /**
   * Creates an exception with a user-facing message and a cause.
   *
   * @param message one line naming the file, key or block and the fix
   * @param exitCode the process exit code
   * @param cause the underlying exception, shown only in verbose mode
   */
  public LltException(String message, int exitCode, Throwable cause) {
    super(message, cause);
    this.exitCode = exitCode;
  }

  /** Returns the process exit code for this failure. */
  public int exitCode() {
    return exitCode;
  }
}
