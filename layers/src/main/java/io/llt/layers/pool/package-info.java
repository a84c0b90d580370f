/**
 * Two-dimensional max and average pooling over {@code [C, H, W]} activations with PyTorch's
 * semantics ({@code ceil_mode=False}), run by libnd4j's native pooling kernels.
 */
package io.llt.layers.pool;
