/**
 * Reusable picocli option groups shared by several commands.
 */
package io.llt.cli.mixin;
