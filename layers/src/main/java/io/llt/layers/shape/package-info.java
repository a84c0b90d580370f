/**
 * Shape-only layers (flatten), free because activations are stored flat.
 */
package io.llt.layers.shape;
