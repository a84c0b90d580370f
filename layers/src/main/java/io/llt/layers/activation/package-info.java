/**
 * Element-wise activations, fused into dense layers or stand-alone, and SoftHebb's triangle
 * activation (centred on the channel mean).
 */
package io.llt.layers.activation;
