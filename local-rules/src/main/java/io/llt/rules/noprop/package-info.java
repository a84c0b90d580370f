/**
 * NoProp (Li, Teh, Pascanu, arXiv 2503.24322): the DT rule ({@link
 * io.llt.rules.noprop.NoPropRule}, {@code type: noprop}), the flow-matching and continuous-time
 * variants ({@link io.llt.rules.noprop.NoPropFmRule}, {@link io.llt.rules.noprop.NoPropCtRule}),
 * the block head they share ({@link io.llt.rules.noprop.DenoiserHead}), and the mathematical
 * core: the discrete-time noise
 * schedule ({@link io.llt.rules.noprop.NoiseSchedule}), the label embedding u_y ({@link
 * io.llt.rules.noprop.LabelEmbedding}), the reverse sampler ({@link io.llt.rules.noprop.DtSampler})
 * and the three terms of the DT loss ({@link io.llt.rules.noprop.DtLoss}), over plain double
 * arrays, and CT's learned schedule ({@link io.llt.rules.noprop.MonotoneSchedule}). The blocks of
 * a DT chain share a trained embedding and classifier through a {@link
 * io.llt.rules.noprop.SharedEmbedding}. Spec:
 * specs/monoforward-noprop-softhebb.md section 2, (b) and (c).
 *
 * <p>Index convention throughout (spec 2(b)): t = 0 is pure noise and t = T nearly clean; the
 * signal level abar_t (the spec's ᾱ_t) rises with t. Block t (t = 1..T) sees z_{t-1} and predicts
 * u_y. For block t, one example's loss is {@code classifierTerm + priorKl + denoisingTerm(t)}
 * (paper eq. 8), averaged over the batch by the caller.
 *
 * <p>The core classes work on plain double arrays and hold no ND4J arrays or trainable state; the
 * rule uses them for the schedule, the coefficients and the host-side loss, and the tests check the
 * rule's device arithmetic against them.
 */
package io.llt.rules.noprop;
