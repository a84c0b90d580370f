/**
 * The llt engine: trains networks block by block with isolated local objectives. Depends on no rule or layer implementation; those plug in through {@link io.llt.engine.spi}.
 */
package io.llt.engine;
