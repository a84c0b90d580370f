/**
 * Forward-Forward (Hinton 2022) and Collaborative Forward-Forward (Lorberbom et al., AAAI 2024):
 * per-block goodness objectives on positive and negative data, the negative-data generators, and
 * the goodness-over-labels and neutral-label softmax readouts. Spec:
 * specs/ff-forwardgnn.md sections 1 and 2.
 */
package io.llt.rules.ff;
