package org.alignguard.report;

import java.util.List;
import java.util.Map;
import org.alignguard.data.PreferenceSet;
import org.alignguard.dpo.StepLog;
import org.alignguard.eval.Scores;
import org.alignguard.pipeline.RunConfig;

/**
 * Everything a run's report shows.
 *
 * @param categories the harm categories, in order
 * @param scores     every model's measurements: "base", each category's expert, "all-single", each merge
 * @param logs       the DPO step log of each expert and of All-single
 * @param probes     the probe measurements taken during each training
 * @param mergeInfo  per merge method, what it recorded (Co-Merge: the share of entries each expert won)
 */
public record Report(List<String> categories, Map<String, Scores> scores, Map<String, List<StepLog>> logs,
                     Map<String, List<Map<String, Double>>> probes, Map<String, String> mergeInfo, PreferenceSet data,
                     Map<String, String> meta, RunConfig config) {}
