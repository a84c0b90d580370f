/**
 * Seed derivation and build information.
 */
package io.llt.engine.util;
