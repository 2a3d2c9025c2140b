package org.alignguard.serve;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.alignguard.baselines.BaselineFile;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.world.World;
import org.alignguard.merge.Expert;
import org.alignguard.merge.ExpertMerger;

/**
 * Everything the playground draws with, read once when it starts, from a models folder laid out as
 * the project ships it:
 * <pre>
 *   base.safetensors, classifier.safetensors     the text-to-image model and the measuring classifier
 *   experts/CATEGORY.safetensors                  the seven safety experts (one LoRA per harm category)
 *   co-merge.safetensors, all-single.safetensors  whole LoRAs: the experts' Co-Merge, one LoRA on all data
 *   baselines/METHOD.safetensors                  ESD-u, UCE, MACE, SLD, negative prompt, blocklist
 * </pre>
 * Only the first two are required. Every LoRA is kept as its dense updates ΔW per layer
 * ({@link Expert}), the form every merge works on and the cheapest to put on a worker's model.
 * Files are only read: the playground writes nothing.
 */
public final class Shelf {
    public final Path baseModel, classifier;
    public final World world;
    /** The experts by file name ("violence", "illegal-activity"), in file-name order. */
    public final List<Expert> experts;
    /** Whole LoRAs shown as models of their own: "co-merge", "all-single" when present. */
    public final Map<String, Expert> loras;
    /** Baselines by file name ("esd-u", "sld"). */
    public final Map<String, BaselineFile.Loaded> baselines;

    /** The whole LoRAs the folder may hold, by file name. */
    static final List<String> WHOLE_LORAS = List.of("co-merge", "all-single");
    /** Names of other models: a baseline file named so would be hidden behind that model. */
    static final List<String> RESERVED = List.of("base", "mix", WHOLE_LORAS.get(0), WHOLE_LORAS.get(1));

    private Shelf(Path baseModel, Path classifier, World world, List<Expert> experts, Map<String, Expert> loras, Map<String, BaselineFile.Loaded> baselines) {
        this.baseModel = baseModel;
        this.classifier = classifier;
        this.world = world;
        this.experts = List.copyOf(experts);
        this.loras = java.util.Collections.unmodifiableMap(loras);
        this.baselines = java.util.Collections.unmodifiableMap(baselines);
    }

    /** Reads the models folder; a missing base model or classifier, or a file that does not fit the base model, is an IOException naming it. */
    public static Shelf load(Path dir) throws IOException {
        Path base = dir.resolve("base.safetensors"), clf = dir.resolve("classifier.safetensors");
        for (Path p : List.of(base, clf)) if (!Files.isRegularFile(p)) throw new IOException("no " + p.getFileName() + " in " + dir + " (the models folder: pass --models DIR)");
        TextToImageModel model = TextToImageModel.load(base).model();   // only to check that each file fits it
        List<Expert> experts = new ArrayList<>();
        for (Path p : files(dir.resolve("experts"))) experts.add(new Expert(stem(p), ExpertMerger.load(p, model).deltas()));
        Map<String, Expert> loras = new LinkedHashMap<>();
        for (String name : WHOLE_LORAS) {
            Path p = dir.resolve(name + ".safetensors");
            if (Files.isRegularFile(p)) loras.put(name, new Expert(name, ExpertMerger.load(p, model).deltas()));
        }
        Map<String, BaselineFile.Loaded> baselines = new LinkedHashMap<>();
        for (Path p : files(dir.resolve("baselines"))) {
            if (RESERVED.contains(stem(p)) || stem(p).startsWith("expert:"))
                throw new IOException(p + ": a baseline cannot be called '" + stem(p) + "': the playground names another model so (base, mix, co-merge, all-single, expert:...); rename the file");
            BaselineFile.Loaded b = BaselineFile.read(p);
            // Refuses one made for another UNet or world, or whose W + ΔW overflows, now rather than at the
            // first request; the workers then only put its edit on (Drawer).
            BaselineFile.attach(model, b).detach();
            baselines.put(stem(p), b);
        }
        return new Shelf(base, clf, model.world(), experts, loras, baselines);
    }

    /** The names a request may ask for: base, mix (the page's own merge of the switched-on experts), the whole LoRAs, each expert, each baseline. */
    public List<String> modelNames() {
        List<String> out = new ArrayList<>(List.of("base", "mix"));
        out.addAll(loras.keySet());
        for (Expert e : experts) out.add("expert:" + e.name());
        out.addAll(baselines.keySet());
        return out;
    }

    public Expert expert(String name) {
        for (Expert e : experts) if (e.name().equals(name)) return e;
        return null;
    }

    private static List<Path> files(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".safetensors") && Files.isRegularFile(p)).sorted().toList();
        }
    }

    private static String stem(Path p) {
        String n = p.getFileName().toString();
        return n.substring(0, n.length() - ".safetensors".length());
    }
}
