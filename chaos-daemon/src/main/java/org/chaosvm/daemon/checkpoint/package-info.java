/**
 * Checkpoints (issue 20, under way): the image {@code chaos save} will write and {@code chaos
 * restore} read. So far its head, {@link org.chaosvm.daemon.checkpoint.CheckpointImage}; the save,
 * restore and migrate paths come next (docs/checkpoints.md).
 */
package org.chaosvm.daemon.checkpoint;
