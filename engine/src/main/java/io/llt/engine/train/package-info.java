/**
 * The trainer and its schedules (simultaneous, greedy, backprop), evaluation with the rules' own inference, checkpoints and run directories.
 */
package io.llt.engine.train;
