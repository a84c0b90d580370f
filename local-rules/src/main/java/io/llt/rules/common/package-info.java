/**
 * Pieces shared by rules: the linear softmax cross-entropy head used by Mono-Forward (bias-free) and the backprop baseline (with bias).
 */
package io.llt.rules.common;
