package io.llt.engine.spi;

/**
 * How per-block class scores are combined into the network's prediction.
 *
 * <p>{@code LAST}: the last block's scores (Mono-Forward's "BP-style" prediction). {@code SUM}: the
 * sum of every block's scores (Mono-Forward's "FF-style" prediction).
 */
public enum Readout {
  /** The last block that produces scores. */
  LAST,
  /** The sum over all blocks that produce scores. */
  SUM
}
