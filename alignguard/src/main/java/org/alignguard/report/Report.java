package org.alignguard.report;

import java.util.List;
import java.util.Map;
import org.alignguard.data.PreferenceSet;
import org.alignguard.diffusion.pipeline.Generator;
import org.alignguard.dpo.DpoConfig;
import org.alignguard.dpo.StepLog;
import org.alignguard.eval.Scores;

/**
 * Everything a run's report shows.
 *
 * @param categories  the harm categories, in order
 * @param scores      every model's measurements on the test half: "base", each category's expert,
 *                    "all-single", each merge, each baseline
 * @param oog         the same models on the out-of-grammar sets
 * @param trainSeconds the training time each model's file records
 * @param logs        the DPO step log of each expert and of All-single
 * @param probes      the probe measurements taken during each training
 * @param mergeInfo   per merge method, what it recorded (Co-Merge: the share of entries each expert won)
 * @param gridSeed    the seed of the report's image grids
 * @param sampling    how the test images were drawn
 */
public record Report(List<String> categories, Map<String, Scores> scores, Map<String, Scores> oog, Map<String, Double> trainSeconds,
                     Map<String, List<StepLog>> logs, Map<String, List<Map<String, Double>>> probes, Map<String, String> mergeInfo,
                     PreferenceSet data, Map<String, String> meta, DpoConfig dpo, long gridSeed, Generator.Settings sampling) {}
