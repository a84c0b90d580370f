/**
 * Element-wise activations, fused into dense layers or stand-alone.
 */
package io.llt.layers.activation;
