/**
 * The text-to-image diffusion layer: the synthetic world and its classifier, the tokenizer and text
 * encoder, the conditional UNet, noise schedules and samplers, pretraining and generation.
 * It arrives with the diffusion issue; the module exists now so the build has its final shape.
 */
package org.alignguard.diffusion;
