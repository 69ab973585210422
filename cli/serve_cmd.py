"""`junheng serve`: the HTTP API and the web page, served by uvicorn."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址(对外提供服务时请放在反向代理之后)")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="端口")
@click.option("--rules-dir", type=click.Path(path_type=Path, file_okay=False, exists=True), default=None,
              help="规则目录(默认为自带的 rules/)")
@click.option("--timeout", default=30.0, show_default=True, type=click.FloatRange(0.1, 3600), help="每个请求的时间限制(秒)")
@click.option("--max-upload-mb", default=20, show_default=True, type=click.IntRange(1, 2048), help="上传大小上限(MB)")
@click.option("--workers", default=4, show_default=True, type=click.IntRange(1, 256), help="并行处理请求的线程数")
def serve_cmd(host: str, port: int, rules_dir: Path | None, timeout: float, max_upload_mb: int, workers: int) -> None:
    """服务:启动 HTTP 接口(/v1,文档见 /docs)和网页界面(/)。规则集在启动时编译一次。"""
    try:
        import uvicorn

        from engine.service import Limits, create_app
    except ImportError as exc:  # the service's dependencies are missing
        click.echo(f"无法启动服务:缺少依赖 {exc.name}。请安装:pip install fastapi uvicorn python-multipart", err=True)
        sys.exit(1)
    mb = 1024 * 1024
    limits = Limits(max_upload_bytes=max_upload_mb * mb, max_request_bytes=max(10, max_upload_mb) * mb,
                    timeout_seconds=timeout, workers=workers)
    app = create_app(rules_dir, limits)  # a rule error raises RuleError: the group prints the diagnostics
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"均衡服务地址:http://{shown}:{port}/ (接口文档 /docs,按 Ctrl+C 停止)", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_keep_alive=5)
