/**
 * Layer implementations with hand-written ND4J forward and backward passes, each checked against finite differences.
 */
package io.llt.layers;
