package io.llt.rules.noprop;

/**
 * Ablations of the noisy-label input of NoProp blocks (spec 2(g) 7(a), 2(f) pitfall 4): without
 * the label, each block is a classifier of the image alone and the denoising chain carries
 * nothing.
 */
public enum LabelAblation {
  /** No ablation: the label path reads z. */
  NONE,
  /**
   * The label path reads zeros instead of z, in training and at inference: the spec's literal
   * ablation. With batch norm in the label path it is degenerate: on a constant input a batch-norm
   * layer outputs its shift in training, but at inference it divides the lag of its running mean
   * by sqrt(epsilon), and stacked layers amplify that into a large constant that swamps the
   * fusion (measured on Fashion-MNIST: every test image gets the same class).
   */
  ZERO_INPUT,
  /**
   * The label path is skipped and the fusion reads zeros in its place (its parameters get no
   * gradient): z cannot reach the prediction, with no batch-norm artefact.
   */
  ZERO_FEATURES
}
