/**
 * Supervised local learning with auxiliary networks (spec auglocal-man-pipeline.md sections 1-5):
 * the auxiliary-head baseline ({@link io.llt.rules.auxiliary.AuxHeadRule}, {@code aux-head}: DGL's
 * pooling + linear head and InfoPro's cross-entropy heads), AugLocal ({@link
 * io.llt.rules.auxiliary.AugLocalRule}, with its construction rules in {@link
 * io.llt.rules.auxiliary.AugLocalPlan}) and MAN ({@link io.llt.rules.auxiliary.ManRule}, with the
 * momentum branch in {@link io.llt.rules.auxiliary.ManBranch}). Each block trains itself and its
 * auxiliary network on its own cross-entropy; the last block's auxiliary network is the network's
 * linear classifier.
 */
package io.llt.rules.auxiliary;
