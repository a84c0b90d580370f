/**
 * Optimizers over a block's flat parameter vector (Adam and SGD with PyTorch semantics), one instance and one state per block.
 */
package io.llt.engine.optim;
