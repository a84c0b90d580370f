/**
 * The mathematical core of NoProp-DT (Li, Teh, Pascanu, arXiv 2503.24322): the discrete-time noise
 * schedule ({@link io.llt.rules.noprop.NoiseSchedule}), the label embedding u_y ({@link
 * io.llt.rules.noprop.LabelEmbedding}), the reverse sampler ({@link io.llt.rules.noprop.DtSampler})
 * and the three terms of the DT loss ({@link io.llt.rules.noprop.DtLoss}), over plain double
 * arrays. Spec: specs/monoforward-noprop-softhebb.md section 2, (b) and (c).
 *
 * <p>Index convention throughout (spec 2(b)): t = 0 is pure noise and t = T nearly clean; the
 * signal level abar_t (the spec's ᾱ_t) rises with t. Block t (t = 1..T) sees z_{t-1} and predicts
 * u_y. For block t, one example's loss is {@code classifierTerm + priorKl + denoisingTerm(t)}
 * (paper eq. 8), averaged over the batch by the caller.
 *
 * <p>This package is a foundation for a later {@code noprop} rule; it registers no rule provider
 * and holds no ND4J arrays or trainable state.
 */
package io.llt.rules.noprop;
