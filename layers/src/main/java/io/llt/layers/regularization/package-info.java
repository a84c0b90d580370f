/**
 * Inverted dropout with a seeded per-block mask.
 */
package io.llt.layers.regularization;
