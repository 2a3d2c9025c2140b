package org.alignguard.report;

import com.github.mustachejava.DefaultMustacheFactory;
import com.github.mustachejava.Mustache;
import java.io.StringWriter;

/** Renders the HTML pages from the Mustache templates in {@code /templates} (mustache.java escapes HTML). */
public final class Templates {
    private static final DefaultMustacheFactory FACTORY = new DefaultMustacheFactory("templates");

    private Templates() {}

    public static String render(String name, Object scope) {
        Mustache m = FACTORY.compile(name + ".mustache");
        StringWriter out = new StringWriter();
        m.execute(out, scope);
        return out.toString();
    }
}
