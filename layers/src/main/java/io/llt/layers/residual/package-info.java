/** Residual blocks composed of the convolution and batch-norm kernels. */
package io.llt.layers.residual;
