/**
 * A linear softmax classifier trained on its block's output: the supervised readout of
 * unsupervised feature blocks (SoftHebb) and a local classifier head.
 */
package io.llt.rules.classifier;
