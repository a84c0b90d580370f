package io.llt.engine.config;

/**
 * When each block updates.
 *
 * <p>{@code GREEDY}: block 1 trains for all its epochs, then block 2 on block 1's outputs, and so
 * on. {@code SIMULTANEOUS}: every batch passes through all blocks; each block updates from its own
 * objective and hands its detached output on. {@code BACKPROP}: the baseline; all blocks' layers
 * are fused into one block trained end to end with the {@code backprop} rule, chaining the same
 * layer implementations' backward passes. {@code PIPELINED}: the simultaneous semantics with groups
 * of consecutive blocks as stages on their own threads, linked by bounded queues; it yields the
 * same parameters as {@code SIMULTANEOUS}, bit for bit.
 */
public enum Schedule {
  /** Block by block, each for {@code trainer.epochs} epochs. */
  GREEDY,
  /** All blocks on every batch, each from its own objective. */
  SIMULTANEOUS,
  /** End-to-end backprop over the same layers (the baseline). */
  BACKPROP,
  /** Simultaneous, with blocks as pipeline stages on their own threads. */
  PIPELINED;

  /** The rule id of the backprop baseline, used to build the fused block. */
  public static final String BACKPROP_RULE_ID = "backprop";
}
