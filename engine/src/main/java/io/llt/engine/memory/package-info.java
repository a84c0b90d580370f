/**
 * Native memory counters that ND4J M2.1 really maintains on the CPU backend, and a sampling probe that keeps the peak.
 */
package io.llt.engine.memory;
