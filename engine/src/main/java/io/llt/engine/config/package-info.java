/**
 * Configuration: YAML bound to immutable, self-validating records, with every problem reported at
 * once as {@code file:line:col dotted.path message}.
 *
 * <p>{@link io.llt.engine.config.ConfigLoader} reads a file and {@code --set} overrides, {@link
 * io.llt.engine.config.TypeRegistry} resolves {@code type:} ids of rule, layer and data-source
 * configs, {@link io.llt.engine.config.Checks} holds the single-field checks that records' compact
 * constructors call, and {@link io.llt.engine.config.ConfigWriter} writes the resolved config back
 * to YAML.
 */
package io.llt.engine.config;
