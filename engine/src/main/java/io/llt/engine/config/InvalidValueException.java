package io.llt.engine.config;

/**
 * Thrown by a config record's compact constructor when one of its components is invalid. The
 * loader adds the dotted path, file, line and column and collects it with every other problem.
 */
public final class InvalidValueException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;
  private final String component;

  /**
   * Creates the exception.
   *
   * @param component the record component name (the last element of the dotted path), or an empty
   *     string when the problem concerns the record as a whole
   * @param message the rule and the bad value, for example {@code must be > 0, found -0.01}
   */
  public InvalidValueException(String component, String message) {
    super(message);
    this.component = component;
  }

  /** Returns the record component the problem belongs to, or an empty string for the whole record. */
  public String component() {
    return component;
  }
}
