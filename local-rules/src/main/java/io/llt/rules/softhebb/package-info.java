/**
 * SoftHebb: soft winner-take-all Hebbian plasticity for convolution and dense layers, trained
 * without labels or gradients. Spec: specs/monoforward-noprop-softhebb.md section 3.
 */
package io.llt.rules.softhebb;
