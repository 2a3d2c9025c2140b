package org.alignguard.tests.playground;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Takes the README's screenshot of a running playground (not a test): every panel drawn, the
 * attention maps unfolded.
 * <pre>
 *   ./alignguard.sh serve &amp;
 *   java --add-modules jdk.incubator.vector -cp "$(cat cp.txt):tests/target/test-classes" \
 *       org.alignguard.tests.playground.PlaygroundScreenshot http://127.0.0.1:8080/ docs/images/serve.png
 * </pre>
 * ({@code cp.txt}: {@code mvn -q dependency:build-classpath -pl tests -Dmdep.outputFile=cp.txt}.)
 */
public final class PlaygroundScreenshot {
    private PlaygroundScreenshot() {}

    public static void main(String[] args) throws Exception {
        WebDriver browser = PlaygroundBrowserTest.open(1400, 1350);
        try {
            browser.get(args[0]);
            WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(120));
            wait.until(d -> d.findElements(By.cssSelector("#expert-list input")).size() > 0);
            ((JavascriptExecutor) browser).executeScript(
                    "document.getElementById('prompt').value = arguments[0]; document.getElementById('draw').click();", PlaygroundBrowserTest.PROMPT);
            wait.until(d -> PlaygroundBrowserTest.allDrawn(d, PlaygroundBrowserTest.PROMPT));
            // Once more with another seed: the first press after start also waits for Co-Merge's probe.
            ((JavascriptExecutor) browser).executeScript("document.getElementById('seed').value = 7; document.getElementById('draw').click();");
            Thread.sleep(300);
            wait.until(d -> PlaygroundBrowserTest.allDrawn(d, PlaygroundBrowserTest.PROMPT));
            ((JavascriptExecutor) browser).executeScript("document.querySelectorAll('details').forEach(d => d.open = true);");
            Thread.sleep(500);
            Files.write(Path.of(args[1]), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
        } finally {
            browser.quit();
        }
    }
}
