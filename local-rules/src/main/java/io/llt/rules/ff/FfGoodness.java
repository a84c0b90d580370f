package io.llt.rules.ff;

/** The goodness of a block's activity h of D units. */
public enum FfGoodness {
  /** {@code G = sum_j h_j^2} (Hinton, loeweX). */
  SUM,
  /** {@code G = (1/D) sum_j h_j^2} (mohammadpz). */
  MEAN
}
