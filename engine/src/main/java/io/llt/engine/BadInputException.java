package io.llt.engine;

/** Bad user input that is not a config file problem: a missing dataset, a corrupt file, a bad argument. Exit code 2. */
public class BadInputException extends LltException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a one-line message that names the input and the fix. */
  public BadInputException(String message) {
    super(message, 2);
  }

  /** Creates the exception with a one-line message and the underlying cause. */
  public BadInputException(String message, Throwable cause) {
    super(message, 2, cause);
  }
}
