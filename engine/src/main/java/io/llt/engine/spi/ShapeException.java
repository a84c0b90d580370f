package io.llt.engine.spi;

/** A layer cannot accept the input shape it was given; the message says why and what would fit. */
public final class ShapeException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message that names the expected and the found shape. */
  public ShapeException(String message) {
    super(message);
  }
}
