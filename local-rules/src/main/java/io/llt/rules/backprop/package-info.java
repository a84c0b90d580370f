/**
 * The end-to-end backprop baseline, on the same graph and the same layer kernels as the local rules.
 */
package io.llt.rules.backprop;
