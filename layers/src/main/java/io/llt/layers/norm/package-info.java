/**
 * Per-example length normalisation (L2 or RMS), as Forward-Forward uses between layers.
 */
package io.llt.layers.norm;
