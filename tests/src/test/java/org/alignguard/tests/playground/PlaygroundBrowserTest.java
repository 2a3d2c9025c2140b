package org.alignguard.tests.playground;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The playground as a person uses it, in a real browser: headless Chromium from Debian's packages
 * ({@code chromium}, {@code chromium-driver}; .ci/run installs them), driven by Selenium.
 */
class PlaygroundBrowserTest {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium"), DRIVER = Path.of("/usr/bin/chromedriver");
    static final String PROMPT = "a red circle in the centre on a navy background, with blood";
    static Playground p;
    static WebDriver browser;

    @BeforeAll
    static void start() throws Exception {
        assertTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER),
                "the browser tests need Debian's chromium and chromium-driver: apt-get install -y chromium chromium-driver (.ci/run installs them)");
        p = new Playground(2, 16);
        assertTrue(p.server.awaitCoMerge(120), "Co-Merge's activations are measured within 2 minutes");   // until then "your merge" is asked again and again
        browser = open(1400, 1000);
    }

    /** Headless Chromium through the Debian chromedriver (no driver download). */
    static WebDriver open(int width, int height) {
        ChromeOptions o = new ChromeOptions();
        o.setBinary(CHROMIUM.toFile());
        o.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=" + width + "," + height);
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile()).build();
        return new ChromeDriver(service, o);
    }

    @AfterAll
    static void stop() {
        if (browser != null) browser.quit();
        if (p != null) p.close();
    }

    @BeforeEach
    void load() {
        browser.get(p.url);
        until(d -> d.findElements(By.cssSelector("#expert-list input[type=checkbox]")).size() == 7);
        until(d -> allDrawn(d, promptBox().getAttribute("value")));   // the page draws its first example by itself
    }

    static WebElement promptBox() { return browser.findElement(By.id("prompt")); }

    static void until(java.util.function.Function<WebDriver, Boolean> condition) {
        new WebDriverWait(browser, Duration.ofSeconds(90)).until(condition::apply);
    }

    /** Every panel shows a picture drawn for {@code prompt}, and none is still drawing. */
    static boolean allDrawn(WebDriver d, String prompt) {
        List<WebElement> imgs = d.findElements(By.cssSelector("img.picture"));
        if (imgs.size() != 4 || !d.findElements(By.cssSelector(".panel.busy")).isEmpty()) return false;
        for (WebElement i : imgs)
            if (!prompt.equals(i.getAttribute("data-prompt")) || !String.valueOf(i.getAttribute("src")).startsWith("data:image/png")) return false;
        return true;
    }

    static void type(String text) {
        WebElement box = promptBox();
        box.clear();
        // A long text goes in through the DOM: typing it key by key would take minutes.
        ((JavascriptExecutor) browser).executeScript("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'));", box, text);
        browser.findElement(By.id("draw")).click();
    }

    @Test
    void thePageLoadsWithItsControls() {
        assertEquals("AlignGuard playground", browser.getTitle());
        assertEquals(4, browser.findElements(By.cssSelector("section.panel")).size(), "base, your merge and two picked models");
        assertEquals("Base model", browser.findElement(By.cssSelector("#panel-0 .title")).getText());
        assertTrue(browser.findElements(By.cssSelector("#merge option")).size() >= 4, "co-merge, ties, sum, average");
        // The prompt box suggests the world's words for the word being typed.
        WebElement box = promptBox();
        box.clear();
        box.sendKeys("a red circle with blo");
        until(d -> d.findElements(By.cssSelector("#suggestions option")).stream().anyMatch(o -> "a red circle with blood ".equals(o.getAttribute("value"))));
    }

    @Test
    void aPromptGivesImagesAndWhatTheClassifierSees() {
        type(PROMPT);
        until(d -> allDrawn(d, PROMPT));
        String seen = browser.findElement(By.cssSelector("#panel-0 .seen")).getText();
        assertTrue(seen.startsWith("Classifier sees:") && seen.contains("circle"), seen);
        assertEquals(10, browser.findElements(By.cssSelector("#panel-0 .strip img")).size(), "x̂0 at each of the 10 default steps");
        assertEquals(12, browser.findElements(By.cssSelector("#panel-0 .attention figure")).size(), "a map per word");
        assertNull(browser.findElement(By.cssSelector("#panel-1 .winners-box")).getAttribute("hidden"), "your Co-Merge shows its winners per layer");
        assertTrue(browser.findElements(By.cssSelector("#panel-1 .winners tr")).size() > 0);
        assertNotNull(browser.findElement(By.id("message")).getAttribute("hidden"), "no error shown");
    }

    @Test
    void aSwitchChangesTheImage() {
        type(PROMPT);
        until(d -> allDrawn(d, PROMPT));
        String before = browser.findElement(By.id("image-1")).getAttribute("src");
        String base = browser.findElement(By.id("image-0")).getAttribute("src");
        assertNotEquals(base, before, "the seven experts change the base model's picture");
        for (WebElement box : browser.findElements(By.cssSelector("#expert-list input[type=checkbox]"))) box.click();   // all seven off
        // The switches redraw by themselves; with every expert off, your merge is the base model.
        until(d -> allDrawn(d, PROMPT) && base.equals(d.findElement(By.id("image-1")).getAttribute("src")));
        String off = browser.findElement(By.id("image-1")).getAttribute("src");
        browser.findElement(By.id("expert-violence")).click();   // one expert back on
        until(d -> allDrawn(d, PROMPT) && !off.equals(d.findElement(By.id("image-1")).getAttribute("src")));
    }

    @Test
    void aBadPromptGetsAMessageInThePage() {
        type("a red circle ".repeat(60));
        until(d -> d.findElement(By.id("message")).getAttribute("hidden") == null);
        String message = browser.findElement(By.id("message")).getText();
        assertTrue(message.contains("prompt is 780 characters long; the playground takes at most 500"), message);
    }
}
