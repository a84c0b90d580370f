package io.llt.engine.memory;

/** The phases of a block's work whose memory is tracked separately. */
public enum MemoryPhase {
  /** The rule's step: forward through the block, the local objective and its gradients. */
  FORWARD,
  /** The optimizer's update of the block's parameters. */
  UPDATE,
  /** Inference through the block (evaluation). */
  INFERENCE
}
