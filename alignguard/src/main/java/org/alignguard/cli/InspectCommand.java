package org.alignguard.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import org.alignguard.tensor.Shape;
import org.alignguard.tensor.io.Safetensors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** Lists what a safetensors file holds, reading only its header. */
@Command(name = "inspect", description = "List the tensors (name, dtype, shape, parameter count) and metadata of a safetensors file.")
final class InspectCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "FILE.safetensors", description = "The file to inspect.")
    Path file;

    @Override public Integer call() throws Exception {
        if (!Files.isRegularFile(file)) throw new UserError("no such file: " + file);
        Safetensors.Header h;
        try {
            h = Safetensors.readHeader(file);
        } catch (org.alignguard.tensor.io.SafetensorsException e) {
            throw new UserError(e.getMessage(), 2, e);
        }
        long total = 0;
        int nameWidth = 4;
        for (var t : h.tensors()) nameWidth = Math.max(nameWidth, t.name().length());
        String fmt = "%-" + nameWidth + "s  %-5s  %-20s  %,12d%n";
        System.out.printf("%-" + nameWidth + "s  %-5s  %-20s  %12s%n", "name", "dtype", "shape", "params");
        for (var t : h.tensors()) {
            long n = 1;
            for (int d : t.shape()) n *= d;
            total += n;
            System.out.printf(fmt, t.name(), t.dtype(), Shape.str(t.shape()), n);
        }
        System.out.printf("%d tensors, %,d parameters%n", h.tensors().size(), total);
        Map<String, String> meta = h.metadata();
        if (!meta.isEmpty()) {
            System.out.println("metadata:");
            meta.forEach((k, v) -> System.out.println("  " + k + " = " + v));
        }
        return 0;
    }
}
