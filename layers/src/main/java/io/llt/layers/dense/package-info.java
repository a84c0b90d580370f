/**
 * The fully connected layer.
 */
package io.llt.layers.dense;
