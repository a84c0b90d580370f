/**
 * Normalisation layers: per-example length normalisation (L2 or RMS), as Forward-Forward uses
 * between layers, and batch normalisation with PyTorch's running statistics.
 */
package io.llt.layers.norm;
