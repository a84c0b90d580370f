package io.llt.engine.util;

import java.nio.charset.StandardCharsets;

/**
 * Derives independent, reproducible seeds from the run seed, so every random stream (parameter
 * initialisation per block and layer, shuffling per epoch, dropout per block and epoch) depends
 * only on the run seed and its own coordinates, never on the order in which streams are used.
 * That is what makes resumed runs and pipelined runs bit-identical to uninterrupted sequential ones.
 */
public final class Seeds {
  private Seeds() {}

  /** Returns a seed derived from {@code seed}, a purpose label and integer coordinates. */
  public static long derive(long seed, String purpose, long... coordinates) {
    long h = mix(seed ^ 0x9E3779B97F4A7C15L);
    for (byte b : purpose.getBytes(StandardCharsets.UTF_8)) {
      h = mix(h ^ b);
    }
    for (long c : coordinates) {
      h = mix(h ^ mix(c + 0x632BE59BD9B4E019L));
    }
    return h;
  }

  /** SplitMix64 finaliser. */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
