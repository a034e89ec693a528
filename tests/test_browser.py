"""Real headless Chromium at phone width: pages load cleanly and never scroll sideways."""
import pytest

SCREENSHOTS = "test-screenshots"


@pytest.mark.parametrize(
    "path, h1",
    [
        ("", "凌源新闻档案"),
        ("2022/02/ling-yuan-shi-jia-ya-fen-jin-dang/", "凌源市：加压奋进当好朝阳振兴先锋队"),
        ("2021/06/zheng-he-20-duo-ge-ping-tai-zi/", "整合20多个平台资源 构建“1+8+N”运行模式 智慧凌源网格管理平台上线运行"),
        ("pages/2021-06-sijie-sanyin/", "版面：凌源通过“四接三引”融入京津冀"),
        ("archive/", "归档"),
    ],
)
def test_phone_width_no_errors_no_sideways_scroll(phone, server, tmp_path_factory, path, h1):
    response = phone.goto(server.url + path)
    assert response.status == 200
    assert phone.locator("h1").first.inner_text() == h1
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert phone.errors == []
    shots = tmp_path_factory.getbasetemp() / SCREENSHOTS
    shots.mkdir(exist_ok=True)
    name = (path.strip("/").replace("/", "_") or "home") + ".png"
    phone.screenshot(path=str(shots / name), full_page=True)


def test_reading_needs_no_javascript(browser, server):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    page = ctx.new_page()
    page.goto(server.url + "2026/01/di-qi-rong-he-mou-gong-ying/")
    assert page.locator("article h2").all_inner_texts()[:2] == ["核心提示", "本文目录"]
    assert "已于今年5月投产，生铁日产量5500吨以上" in page.locator(".story-body").inner_text()
    page.click("text=下一篇")
    assert page.locator("h1").inner_text() == "推出五大主题冬季旅游产品"
    ctx.close()


def test_unknown_url_gets_the_404_page(phone, server):
    response = phone.goto(server.url + "2022/04/no-such-story/")
    assert response.status == 404
    assert phone.locator("h1").inner_text() == "找不到这个页面"
    phone.click("text=回到首页")
    assert phone.locator("h1").inner_text() == "凌源新闻档案"
