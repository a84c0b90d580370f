package io.llt.engine.config;

import java.util.Arrays;
import java.util.Collection;

/**
 * Single-field checks for config records' compact constructors. Each throws {@link
 * InvalidValueException} with a message of the form {@code must be > 0, found -0.01}.
 */
public final class Checks {
  private Checks() {}

  /** Fails unless {@code value} is set. */
  public static <T> T required(String name, T value, String hint) {
    if (value == null) {
      throw new InvalidValueException(name, "is required (" + hint + ")");
    }
    return value;
  }

  /** Fails unless {@code value > 0}; null passes (use {@link #required} for presence). */
  public static void positive(String name, Number value) {
    if (value != null && !(value.doubleValue() > 0)) {
      throw new InvalidValueException(name, "must be > 0, found " + value);
    }
  }

  /** Fails unless {@code value >= 0}; null passes. */
  public static void nonNegative(String name, Number value) {
    if (value != null && !(value.doubleValue() >= 0)) {
      throw new InvalidValueException(name, "must be >= 0, found " + value);
    }
  }

  /** Fails unless {@code lo <= value < hi}; null passes. */
  public static void inHalfOpenRange(String name, Number value, double lo, double hi) {
    if (value != null && !(value.doubleValue() >= lo && value.doubleValue() < hi)) {
      throw new InvalidValueException(
          name, "must be in [" + fmt(lo) + ", " + fmt(hi) + "), found " + value);
    }
  }

  /** Fails when a list is empty; null passes. */
  public static void nonEmpty(String name, Collection<?> value) {
    if (value != null && value.isEmpty()) {
      throw new InvalidValueException(name, "must not be empty");
    }
  }

  /** Fails when {@code value} is set although it does not apply; {@code why} says when it applies. */
  public static void absent(String name, Object value, String why) {
    if (value != null) {
      throw new InvalidValueException(name, "does not apply here (" + why + "), found " + value);
    }
  }

  /** Fails unless {@code value} is one of {@code allowed}; null passes. */
  public static void oneOf(String name, String value, String... allowed) {
    if (value != null && !Arrays.asList(allowed).contains(value)) {
      throw new InvalidValueException(
          name, "must be one of " + String.join(", ", allowed) + ", found '" + value + "'");
    }
  }

  private static String fmt(double d) {
    return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
  }
}
