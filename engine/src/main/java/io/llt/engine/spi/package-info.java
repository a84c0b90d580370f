/**
 * The plug-in interfaces: {@link io.llt.engine.spi.Layer}, {@link io.llt.engine.spi.LocalRule} and data sources, each registered by a ServiceLoader provider under a short stable id.
 */
package io.llt.engine.spi;
