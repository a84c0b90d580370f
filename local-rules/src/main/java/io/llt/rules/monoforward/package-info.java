/**
 * Mono-Forward (Gong, Li, Abdulla, arXiv 2501.09238): per-block projection to class scores and a local softmax cross-entropy. Spec: specs/monoforward-noprop-softhebb.md section 1.
 */
package io.llt.rules.monoforward;
